# The test settings first, before any test module imports the app: they set the environment
# (PROMETHEUS_MULTIPROC_DIR among it) that the app's imports read.
from . import settings  # noqa: F401
