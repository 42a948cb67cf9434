#!/bin/sh
# macOS: the .app from installers/clinic-app.spec (PyInstaller BUNDLE) in a .dmg.
# Run on a Mac from the repository's root (Python 3.11+, Xcode command line tools):
#
#   python3.11 -m venv .venv && .venv/bin/pip install -e '.[dev]'
#   sh installers/macos/make_dmg.sh
#
# Output: dist/installer/clinic-workstation-VERSION-macos-ARCH.dmg (drag to Applications).
# Signing and notarisation (needed for Gatekeeper on other Macs) when SIGN_ID is set:
#   SIGN_ID="Developer ID Application: …" NOTARY_PROFILE=clinic sh installers/macos/make_dmg.sh
set -eu
cd "$(dirname "$0")/../.."
VERSION=$(.venv/bin/python -c 'import clinic_app; print(clinic_app.__version__)')
ARCH=$(uname -m)
APP="build/installer/dist/Clinic Workstation.app"
DMG="dist/installer/clinic-workstation-$VERSION-macos-$ARCH.dmg"

.venv/bin/pyinstaller --noconfirm --distpath build/installer/dist \
    --workpath build/installer/work installers/clinic-app.spec
"$APP/Contents/MacOS/clinic-app" --version           # the bundled program runs

if [ -n "${SIGN_ID:-}" ]; then
    codesign --deep --force --options runtime --timestamp --sign "$SIGN_ID" "$APP"
fi

mkdir -p dist/installer
STAGE=$(mktemp -d)
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Clinic Workstation $VERSION" -srcfolder "$STAGE" -fs HFS+ \
    -format UDZO -ov "$DMG"
rm -rf "$STAGE"

if [ -n "${SIGN_ID:-}" ] && [ -n "${NOTARY_PROFILE:-}" ]; then
    codesign --sign "$SIGN_ID" --timestamp "$DMG"
    xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
fi
echo "$DMG"
