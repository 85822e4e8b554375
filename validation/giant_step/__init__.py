"""Monte Carlo, comparison and figures of the giant step family."""
