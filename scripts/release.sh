#!/usr/bin/env bash
# make release: the archives for real exam rooms, in dist/ (README.md,
# "Release builds"):
#
#   onex-site-VERSION-linux-amd64.tar.xz     fyne package's tree (usr/local/bin/onex-site,
#                                            the .desktop file, the icon, its Makefile) and a README
#   onex-site-VERSION-windows-amd64.zip      onex-site.exe (mingw-w64 cgo, a GUI program with
#                                            fyne package's icon and manifest) and a README
#   onex-central-VERSION-linux-amd64.tar.xz  onex-central (static, no cgo) and a README
#   SHA256SUMS
#
# VERSION is `git describe --tags --always --dirty`, stamped into both
# programs (`onex-site --version`, `onex-central version`): -X main.version
# for onex-central, main.go's default in the build copy for onex-site (below).
# Builds are -trimpath from a copy of the work tree's files (git ls-files),
# so fyne package's generated files never land in the tree; archives hold
# the commit's time and no owner, so the same commit gives the same files
# but for the linker's own variation.
#
# The Windows build is built, never run here: Debian's Wine 8.0 cannot start
# a Go 1.26 Windows program (issue 14). The compilers run at nice 19: the
# machine's cores are shared. Any failure stops the script (set -euo pipefail);
# at the end it checks what each archive lists and that the .exe is PE32+.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
export PATH=/usr/local/go/bin:$PATH
GO=${GO:-go}
DIST=${DIST:-dist}
# The fyne command (fyne.io/tools), pinned; its go.mod needs no newer Go than ours.
FYNE_TOOLS=${FYNE_TOOLS:-fyne.io/tools/cmd/fyne@v1.7.4}
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}

for tool in "$MINGW_CC" xz zip unzip file tar sha256sum git; do
  command -v "$tool" >/dev/null || { echo "release: $tool not found: run make release-deps" >&2; exit 1; }
done

version=$(git describe --tags --always --dirty)
epoch=$(git log -1 --format=%ct)
echo "release: onex $version" >&2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src
mkdir -p "$src" "$tmp/bin" "$tmp/stage"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$src"

echo "release: building the fyne command ($FYNE_TOOLS)" >&2
GOBIN=$tmp/bin nice -n 19 "$GO" install "$FYNE_TOOLS"
fyne=$tmp/bin/fyne

# onex-site's version is written into the copy's main.go: fyne package passes
# GOFLAGS' -ldflags= on to its first go build only, and for Windows builds a
# second time (with the icon and manifest) without it. -release gives
# -trimpath and -s -w (and -H=windowsgui for Windows).
sed -i "s/^var version = \"dev\"\$/var version = \"$version\"/" "$src/main.go"
grep -qxF "var version = \"$version\"" "$src/main.go" || { echo "release: no 'var version = \"dev\"' in main.go to stamp" >&2; exit 1; }

# tarxz DIR NAME: DIR's contents as dist/NAME.tar.xz under NAME/, sorted, with
# the commit's time and no owner.
tarxz() {
  tar -C "$1" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --transform "s,^\.,$2," -cf - . | xz -9 -T1 >"$root/$DIST/$2.tar.xz"
}

rm -rf "${DIST:?}"
mkdir -p "$DIST"

# --- onex-site, Linux amd64 -------------------------------------------------
site_linux=onex-site-$version-linux-amd64
echo "release: $site_linux" >&2
(cd "$src" && nice -n 19 "$fyne" package -os linux -release -executable onex-site)
stage=$tmp/stage/$site_linux
mkdir -p "$stage"
packaged=("$src"/*.tar.xz)
[ ${#packaged[@]} -eq 1 ] || { echo "release: fyne package made ${#packaged[@]} archives: ${packaged[*]}" >&2; exit 1; }
# Its archive holds the tree (Makefile, usr/) under a folder named after the
# executable; the tree goes to the top of ours.
mkdir "$tmp/fyne-linux"
tar -xJf "${packaged[0]}" -C "$tmp/fyne-linux"
rm -f "${packaged[@]}"
tree=$tmp/fyne-linux
[ -f "$tree/Makefile" ] || tree=$tmp/fyne-linux/onex-site
[ -f "$tree/Makefile" ] && [ -d "$tree/usr" ] || { echo "release: fyne package's archive has no Makefile and usr/:" >&2; find "$tmp/fyne-linux" >&2; exit 1; }
cp -a "$tree/." "$stage/"
cat >"$stage/README.txt" <<EOF
OneX 考点 $version (Linux amd64)

安装（全体用户）：sudo make install     仅当前用户：make user-install
Install for everyone: sudo make install     for this user only: make user-install

程序 usr/local/bin/onex-site：无参数时为考点桌面应用，带命令时为命令行（onex-site help）。
onex-site with no arguments is the site's desktop app; with a command, its
command line (onex-site help). Fyne needs OpenGL and X11 (libgl1, libx11-6).
EOF
tarxz "$stage" "$site_linux"

# --- onex-site, Windows amd64 -----------------------------------------------
site_win=onex-site-$version-windows-amd64
echo "release: $site_win (cross-compiled with $MINGW_CC, not run here)" >&2
(cd "$src" && GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC="$MINGW_CC" \
  nice -n 19 "$fyne" package -os windows -release -executable onex-site.exe)
stage=$tmp/stage/$site_win
mkdir -p "$stage"
# fyne package names the .exe after the app's name in FyneApp.toml.
exes=()
while IFS= read -r -d '' f; do exes+=("$f"); done < <(find "$src" -maxdepth 1 -name '*.exe' -print0)
[ ${#exes[@]} -eq 1 ] || { echo "release: fyne package left ${#exes[@]} .exe files: ${exes[*]}" >&2; exit 1; }
mv "${exes[0]}" "$stage/onex-site.exe"
sed 's/$/\r/' >"$stage/README.txt" <<EOF
OneX 考点 $version (Windows amd64)

onex-site.exe：双击启动考点桌面应用；在命令提示符中带命令运行为命令行（onex-site.exe help）。
Double-click onex-site.exe for the site's desktop app; run it with a command
in cmd.exe or PowerShell for its command line (onex-site.exe help).
Windows 10 or later, 64-bit, with OpenGL 2.1 (a graphics driver).
EOF
touch -d "@$epoch" "$stage"/* "$stage"
(cd "$tmp/stage" && zip -X -9 -q -r "$root/$DIST/$site_win.zip" "$site_win")

# --- onex-central, Linux amd64 ----------------------------------------------
central=onex-central-$version-linux-amd64
echo "release: $central" >&2
stage=$tmp/stage/$central
mkdir -p "$stage"
(cd "$src" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 nice -n 19 "$GO" build -trimpath \
  -ldflags "-s -w -X main.version=$version" -o "$stage/onex-central" ./server/cmd/onex-central)
cat >"$stage/README.txt" <<EOF
OneX central $version (Linux amd64, static)

onex-central help            命令 / the commands
onex-central init --data DIR --self-signed-tls HOST
onex-central serve --data DIR --addr :8443
EOF
tarxz "$stage" "$central"

(cd "$DIST" && sha256sum -- *.tar.xz *.zip >SHA256SUMS)

# --- checks -------------------------------------------------------------------
fail() { echo "release: check failed: $*" >&2; exit 1; }
# lists ARCHIVE LISTING ENTRY...: every ENTRY is in the archive's listing.
lists() {
  local archive=$1 listing=$2
  shift 2
  for e in "$@"; do grep -qxF -- "$e" <<<"$listing" || fail "$archive does not hold $e; it holds:"$'\n'"$listing"; done
}
l=$(tar -tJf "$DIST/$site_linux.tar.xz")
lists "$site_linux.tar.xz" "$l" "$site_linux/README.txt" "$site_linux/Makefile" "$site_linux/usr/local/bin/onex-site" \
  "$site_linux/usr/local/share/applications/cn.onex.site.desktop" "$site_linux/usr/local/share/pixmaps/cn.onex.site.png"
l=$(unzip -Z1 "$DIST/$site_win.zip")
lists "$site_win.zip" "$l" "$site_win/onex-site.exe" "$site_win/README.txt"
l=$(tar -tJf "$DIST/$central.tar.xz")
lists "$central.tar.xz" "$l" "$central/onex-central" "$central/README.txt"

unzip -q -o "$DIST/$site_win.zip" "$site_win/onex-site.exe" -d "$tmp/check"
kind=$(file -b "$tmp/check/$site_win/onex-site.exe")
[[ $kind == PE32+\ executable\ \(GUI\)\ x86-64* ]] || fail "onex-site.exe is \"$kind\", not a PE32+ x86-64 GUI executable"
grep -qaF "$version" "$tmp/check/$site_win/onex-site.exe" || fail "onex-site.exe does not hold the version $version"

tar -xJf "$DIST/$site_linux.tar.xz" -C "$tmp/check"
tar -xJf "$DIST/$central.tar.xz" -C "$tmp/check"
got=$("$tmp/check/$site_linux/usr/local/bin/onex-site" --version)
[ "$got" = "onex-site $version" ] || fail "onex-site --version says \"$got\", want \"onex-site $version\""
got=$("$tmp/check/$central/onex-central" version)
[ "$got" = "onex-central $version" ] || fail "onex-central version says \"$got\", want \"onex-central $version\""
kind=$(file -b "$tmp/check/$central/onex-central")
[[ $kind == *statically\ linked* ]] || fail "onex-central is \"$kind\", not statically linked"
(cd "$DIST" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match"

echo "release: checked; in $DIST/:" >&2
ls -l "$DIST" >&2
