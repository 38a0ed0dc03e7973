"""The worker: e-mail delivery, scheduled jobs and the tasks web requests hand over."""
