"""The service's own record of its availability, and the deadline credit it gives the
attempts that were in progress while it was down or shedding."""
