"""Rules on arrival: processing modes, move filters, auto-responses and out of office."""
