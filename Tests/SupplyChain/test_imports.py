"""scripts/check-imports: Package.swift declares exactly what each target imports."""

import json
import shutil
import subprocess
import sys
import unittest

from helpers import REPO, tmpdir

CHECKER = REPO / "scripts" / "check-imports"


def run_checker(*args):
    p = subprocess.run([sys.executable, str(CHECKER), *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def fixture(files: dict, dependencies: list):
    """A package of one target `App` with `files` under Sources/App and `dependencies`."""
    root = tmpdir("imports")
    for name, text in files.items():
        path = root / "Sources" / "App" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "Sources" / "Lib").mkdir(parents=True)
    (root / "Sources" / "Lib" / "Lib.swift").write_text("public let x = 1\n")
    dump = {"targets": [
        {"name": "App", "type": "executable", "path": None, "exclude": [], "dependencies": dependencies},
        {"name": "Lib", "type": "regular", "path": None, "exclude": [], "dependencies": []},
    ]}
    (root / "dump.json").write_text(json.dumps(dump))
    return root


class CheckImportsTests(unittest.TestCase):
    def test_an_undeclared_import_is_named_with_file_and_line(self):
        root = fixture({"main.swift": "import Foundation\n@testable import Lib\nimport GRDB\n"},
                       [{"byName": ["Lib", None]}])
        code, out, _ = run_checker("--dump", root / "dump.json", "--root", root)
        self.assertEqual(code, 1, out)
        self.assertEqual(out.strip(), "Sources/App/main.swift:3: imports GRDB, which target App does not declare in Package.swift")

    def test_a_declared_dependency_nothing_imports_is_named(self):
        root = fixture({"main.swift": "import Lib\n"},
                       [{"byName": ["Lib", None]}, {"product": ["Crypto", "swift-crypto", None, None]}])
        code, out, _ = run_checker("--dump", root / "dump.json", "--root", root)
        self.assertEqual(code, 1, out)
        self.assertIn("target App declares product Crypto but none of its files imports it", out)

    def test_strings_and_comments_are_not_imports(self):
        source = 'import Lib\nlet py = """\nimport numpy\n"""\n/* import Hidden\nimport Hidden2 */\n// import Other\n'
        root = fixture({"main.swift": source}, [{"byName": ["Lib", None]}])
        code, out, err = run_checker("--dump", root / "dump.json", "--root", root)
        self.assertEqual((code, out), (0, ""), err)

    def test_the_repository_is_clean(self):
        if shutil.which("swift") is None:
            self.skipTest("swift is not on PATH: cannot dump Package.swift")
        code, out, err = run_checker()
        self.assertEqual(code, 0, out + err)


if __name__ == "__main__":
    unittest.main()
