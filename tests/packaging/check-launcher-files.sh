#!/bin/sh
# The launcher entry and the AppStream metadata validate, and the metadata's newest release is
# the project's version (a version bump must add a <release>).
#   check-launcher-files.sh SOURCE_DIR VERSION
set -eu
src=$1 version=$2
id=io.github.pagoda_app.Pagoda
for tool in desktop-file-validate appstreamcli; do
  command -v $tool >/dev/null || { echo "$tool missing: apt-get install desktop-file-utils appstream" >&2; exit 1; }
done
desktop-file-validate "$src/packaging/$id.desktop"
appstreamcli validate --no-net "$src/packaging/$id.metainfo.xml"
newest=$(grep -o '<release version="[^"]*"' "$src/packaging/$id.metainfo.xml" | head -1 | cut -d'"' -f2)
[ "$newest" = "$version" ] || { echo "newest <release> is '$newest', the project is $version" >&2; exit 1; }
echo "launcher files ok (release $newest)"
