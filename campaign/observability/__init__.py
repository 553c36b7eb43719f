"""What operators watch: the Prometheus series the processes keep, structured log lines,
and the id that ties a request's log lines to those of the emails it caused."""
