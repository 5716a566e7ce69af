"""The README's Python example runs as written."""

import pathlib
import re


def test_readme_python_example_runs(capsys):
    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    exec(compile(block, "README.md", "exec"), {})
    assert "selected %" in capsys.readouterr().out


def test_readme_first_lines_are_the_two_commands():
    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    first = re.findall(r"```bash\n(.*?)```", text, re.S)[0].splitlines()
    assert first[0] == "pip install . && doseesc whatif"
    assert "pytest" in first[1]
