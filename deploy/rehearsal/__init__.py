"""Parts of the fault rehearsal (deploy/rehearse.py): the Redis Cluster it can run the click
buffer on, the faults it injects, and the invariants it checks afterwards."""
