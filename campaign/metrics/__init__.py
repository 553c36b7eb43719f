"""Staff metrics: page views, hourly rollups of signatures, and the figures read from them."""
