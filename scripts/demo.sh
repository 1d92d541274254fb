#!/usr/bin/env bash
# Starts central on a demo data directory: the sample catalogue, paper and
# roster, a session in room A101 starting a few minutes from now, and a
# one-time enrolment code for the site. Used by `make run`.
set -euo pipefail
data=${DATA:-tmp/demo}
addr=${ADDR:-127.0.0.1:8080}
central=bin/onex-central

if [ ! -f "$data/central.key" ]; then
  mkdir -p "$data"
  printf 'onex-demo-admin\n' > "$data/admin-password"
  $central init --data "$data" --admin-password-file "$data/admin-password"
  $central import catalogue --data "$data" assets/samples/catalogue.json
  $central import paper --data "$data" assets/samples/paper-web-elementary.json
  start=$(date -u -d '+15 minutes' +%Y-%m-%dT%H:%M:00Z)
  session=$($central session create --data "$data" --site SITE-001 --room A101 --paper WEB-E-2026-A --start "$start")
  $central import roster --data "$data" assets/samples/roster-web-elementary.csv --session "$session"
  echo "$session" > "$data/session"
fi
session=$(cat "$data/session")
echo
echo "OneX demo"
echo "  office:          http://$addr/office/   (admin / $(cat "$data/admin-password"))"
echo "  session:         $session"
echo "  enrolment code:  $($central enrol-code --data "$data" --site SITE-001)   (SITE-001, valid 72 h)"
echo "  unlock code:     $($central unlock-code --data "$data" --session "$session")"
echo
exec $central serve --data "$data" --addr "$addr"
