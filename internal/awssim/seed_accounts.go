package awssim

import "fmt"

// seedAccounts seeds a world's roles and the partitions it lists.
func (s *Sim) seedAccounts(w World) error {
	for _, r := range w.Roles {
		if r.Account == "" {
			r.Account = s.account
		}
		if _, err := s.PutRole(r); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	for _, a := range w.Accounts {
		if !accountRE.MatchString(a.Account) || !regionRE.MatchString(a.Region) {
			return fmt.Errorf("seed: accounts: account %q in region %q: a 12-digit account and a region are needed", a.Account, a.Region)
		}
		if len(a.Accounts) > 0 {
			return fmt.Errorf("seed: accounts: account %s in %s lists accounts of its own", a.Account, a.Region)
		}
		if err := s.Partition(a.Account, a.Region).Seed(a); err != nil {
			return fmt.Errorf("%w (in account %s, region %s)", err, a.Account, a.Region)
		}
	}
	return nil
}
