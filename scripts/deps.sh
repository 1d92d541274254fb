#!/usr/bin/env bash
# Installs the Debian packages OneX needs to build, test and run, but only the
# ones this machine lacks. Uses sudo only when not root. `deps.sh release`
# installs instead what make release needs beyond that (make release-deps).
set -euo pipefail

case "${1:-}" in
release)
  pkgs=(
    gcc-mingw-w64-x86-64      # cgo for the Windows build of onex-site (Fyne's GLFW driver)
    xz-utils                  # the Linux archives (.tar.xz)
    zip unzip                 # the Windows archive, and the check of what it lists
    file                      # the check that onex-site.exe is a PE32+ x86-64 program
  ) ;;
"")
pkgs=(
  gcc pkg-config libc6-dev                     # cgo
  libgl1-mesa-dev libx11-dev libxcursor-dev    # Fyne's GLFW driver
  libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
  fonts-noto-cjk                               # Chinese text in the desktop app
  fonts-droid-fallback fonts-dejavu-core       # server/certpdf: TrueType CJK and Latin fonts (fpdf reads no .ttc)
  poppler-utils                                # server/certpdf's test rasterises the PDF with pdftoppm
  python3                                      # exam/inspect: testdata/redo.py re-runs the draw from FORMAT.md alone
  xvfb                                         # the desktop app's screenshot test and start-up benchmark
  postgresql                                   # central's storage tests run on PostgreSQL too
  chromium                                     # the office pages are tested in headless Chromium
  fcitx5 fcitx5-chinese-addons                 # TestChineseInputMethod: pinyin typed into the app through XIM,
  xdotool xclip x11-utils                      #   keys typed with xdotool, the entry read back with xclip, xprop
) ;;
*)
  echo "usage: deps.sh [release]" >&2
  exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
