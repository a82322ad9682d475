"""Validators that judges import: the checks the real tools would make, run in the
grader (outside the sandbox) on the candidate's files as data."""
