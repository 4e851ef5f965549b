package awssim

import "net/http"

// cborPathPrefix is where Smithy RPC v2 CBOR calls to CloudWatch arrive.
const cborPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

type cloudwatchState struct{}

func (s *Sim) registerCloudWatch() {}

func (s *Sim) serveCBOR(w http.ResponseWriter, r *http.Request, op string, body []byte) {}

func writeCBORError(w http.ResponseWriter, err *apiError) {}
