package deployer

import "github.com/switchyard/switchyard"

// PredefinedShape exposes the table of predefined configs' traffic shapes,
// so that tests outside the package can hold it against what AWS says.
func PredefinedShape(name string) switchyard.TrafficShape { return predefinedShapes[name] }
