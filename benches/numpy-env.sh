# Sourced by benches/compare-numpy and benches/numpy-anchor (after `say` is defined, from the
# repository root): puts cargo on PATH and sets $py to a Python 3.11+ with numpy, installed once
# into target/bench-venv.
# --- Rust -------------------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    say "cargo (Rust) is not installed; install it with rustup (https://rustup.rs) and retry"
    exit 1
  fi
fi

# --- Python 3.11+ with numpy, in target/bench-venv ---------------------------------------------
venv=target/bench-venv
py="$venv/bin/python"
if ! { [ -x "$py" ] && "$py" -c 'import numpy, tomllib' 2>/dev/null; }; then
  command -v python3 >/dev/null 2>&1 || { say "python3 is not installed (3.11 or newer is needed)"; exit 1; }
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { say "python3 is $(python3 -V 2>&1 | cut -d' ' -f2); 3.11 or newer is needed (tomllib)"; exit 1; }
  say "creating $venv and installing numpy (once)"
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      ver=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      say "python3 cannot make virtual environments; installing python3-venv"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$ver-venv" >/dev/null
      python3 -m venv "$venv"
    else
      say "python3 cannot make virtual environments; install python3-venv (as root: apt-get install -y python3-venv)"
      exit 1
    fi
  fi
  "$py" -m pip install --quiet --disable-pip-version-check numpy \
    || { say "pip could not install numpy into $venv (is PyPI reachable?)"; exit 1; }
  "$py" -c 'import numpy' || { say "numpy did not install into $venv"; exit 1; }
fi

