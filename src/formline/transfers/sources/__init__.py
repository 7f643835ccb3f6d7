"""Pure readers of transfer files: text in, sightings and rejects out; no database."""
