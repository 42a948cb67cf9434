import pytest
from tests.central.test_desk_web import test_the_specialist_reads_back_what_they_prescribed as test_rx  # noqa
pytestmark = pytest.mark.asyncio
