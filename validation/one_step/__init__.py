"""Monte Carlo, comparison and figures of the one step family."""
