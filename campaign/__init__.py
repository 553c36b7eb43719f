"""campaign: press releases in, petitions and letters to officials out."""
