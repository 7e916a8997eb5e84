"""The fleet: each device's commissioned healthy model, and the fleet priors formed from them."""
