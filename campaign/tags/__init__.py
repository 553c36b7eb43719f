"""Tags: labels staff put on people, by hand, through the OSDI API or on signing."""
