"""Build the llmplan Python package: its extension is the CMake target llmplan_python of the
source tree this folder sits in (the library's own build), so the package links exactly the
objects the `llmplan` command links. Metadata is in pyproject.toml; the version comes from the
project() line of ../CMakeLists.txt, its one home.

Needs what scripts/install-deps.sh installs: a C compiler, cmake, pkg-config, libjansson-dev,
libyaml-dev and python3-dev. Offline:
    python3 -m venv --system-site-packages v
    v/bin/pip install --no-index --no-build-isolation ./python
"""

import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def source_tree() -> str:
    cmakelists = os.path.join(ROOT, "CMakeLists.txt")
    if not os.path.isfile(cmakelists) or "project(llmplan" not in open(cmakelists).read():
        sys.exit(
            "llmplan: python/ must be built inside the llmplan source tree (its parent holds "
            "CMakeLists.txt and src/); run `pip install ./python` from the repository root"
        )
    return ROOT


def version() -> str:
    with open(os.path.join(source_tree(), "CMakeLists.txt")) as f:
        m = re.search(r"project\(llmplan VERSION ([0-9.]+)", f.read())
    if not m:
        sys.exit("llmplan: no version in the project() line of CMakeLists.txt")
    return m.group(1)


class CMakeBuild(build_ext):
    """Build the extension with CMake (the library's build) instead of setuptools' compiler."""

    def build_extension(self, ext: Extension) -> None:
        if shutil.which("cmake") is None:
            sys.exit("llmplan: cmake not found (run scripts/install-deps.sh as root)")
        build_dir = os.path.join(HERE, "build", "cmake")
        configure = [
            "cmake", "-S", source_tree(), "-B", build_dir,
            "-DCMAKE_BUILD_TYPE=Release",
            "-DLP_WERROR=OFF",  # a user's compiler may warn where ours does not
            "-DLP_PYTHON=ON",
            "-DPython3_EXECUTABLE=" + sys.executable,
        ]
        jobs = str(os.cpu_count() or 2)
        for cmd in (configure, ["cmake", "--build", build_dir, "--target", "llmplan_python", "-j", jobs]):
            print("llmplan:", " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True)
        built = None
        folder = os.path.join(build_dir, "python", "llmplan")
        for name in os.listdir(folder):
            if name.startswith("_llmplan") and name.endswith(".so"):
                built = os.path.join(folder, name)
        if built is None:
            sys.exit("llmplan: the CMake build made no _llmplan module (are python3-dev's headers installed?)")
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built, dest)


setup(
    version=version(),
    ext_modules=[Extension("llmplan._llmplan", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
