"""`python -m campaign` is the `campaign` command."""

from campaign.cli import app

app(prog_name="campaign")
