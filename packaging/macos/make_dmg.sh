#!/bin/sh
# A drag-to-Applications disk image of the .app that PyInstaller built on macOS:
#   pyinstaller --noconfirm packaging/desktop-search.spec && sh packaging/macos/make_dmg.sh
# The app is not signed or notarised (that needs the team's Apple certificate in CI secrets);
# Gatekeeper asks the user to confirm the first start. Not run on the Linux development
# machine; built by .github/workflows/release.yml on a macOS runner.
set -eu
cd "$(dirname "$0")/../.."
version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
app="dist/Desktop Search.app"
test -d "$app" || { echo "$app not found: run PyInstaller first" >&2; exit 1; }
staging=build/dmg
rm -rf "$staging" && mkdir -p "$staging"
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
out="dist/desktop-search-$version-macos-$(uname -m).dmg"
hdiutil create -volname "Desktop Search" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$out"
echo "wrote $out"
