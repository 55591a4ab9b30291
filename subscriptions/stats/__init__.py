"""What /metrics shows: each process's own measurements, and the counts read from the database
at scrape time."""
