"""The README's configuration table lists every variable the settings read."""

import re

from django.conf import settings


def test_every_environment_variable_is_documented():
    source = (settings.BASE_DIR / "statuspage" / "settings.py").read_text()
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source))
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert names, "no variables found: the pattern no longer matches settings.py"
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == []
