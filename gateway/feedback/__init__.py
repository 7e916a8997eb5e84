"""What customers tell the gateway: the visit window they pick, and how the service went (the survey)."""
