"""What the routes call: submitting, dispatching, reporting and comparing jobs; storing
uploads, models and input sets; deletions; upload slots and the response cache."""
