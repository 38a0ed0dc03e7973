"""Operating the portal: health checks, logs, error reporting, the doctor, backups."""
