#!/usr/bin/env bash
# The OneX demo, run by `make run`: central on 127.0.0.1 with a demo data
# directory (the sample catalogue, paper and roster, and a session in room
# A101 starting 15 minutes from now, its paper released 5 minutes from now),
# this machine enrolled against it as site SITE-001, and the desktop app.
# A new session is scheduled whenever the last one is over. Closing the app
# stops central. HEADLESS=1 serves central without the app; CENTRAL_BIN and
# SITE_BIN name other binaries, PAPER (with PAPER_ID) and ROSTER other
# files (the screenshot test's and the start-up benchmark's).
set -euo pipefail
data=${DATA:-tmp/demo}
addr=${ADDR:-127.0.0.1:8080}
sitedata=${SITE_DATA:-$data/site}
central=${CENTRAL_BIN:-bin/onex-central}
app=${SITE_BIN:-bin/onex-site}
demo_pass=onex-demo-site
paper=${PAPER:-assets/samples/paper-web-elementary.json}
paper_id=${PAPER_ID:-WEB-E-2026-A}
roster=${ROSTER:-assets/samples/roster-web-elementary.csv}

if [ ! -f "$data/central.key" ]; then
  mkdir -p "$data"
  printf 'onex-demo-admin\n' > "$data/admin-password"
  $central init --data "$data" --admin-password-file "$data/admin-password"
  $central import catalogue --data "$data" assets/samples/catalogue.json
  $central import paper --data "$data" "$paper"
fi

# A session starting in 15 minutes, unless the last one has not ended yet
# (it lasts 90 minutes). Every session of one paper version is released at
# the same time, so each new sitting takes the paper as a new version.
if [ ! -f "$data/session-start" ] || [ $(( $(date +%s) - $(cat "$data/session-start") )) -gt 5400 ]; then
  version=()
  if [ -f "$data/session-start" ]; then
    v=$(( $(cat "$data/paper-version" 2>/dev/null || echo 1) + 1 ))
    if grep -q '"version"' "$paper"; then
      sed -E "0,/\"version\": *[0-9]+/s//\"version\": $v/" "$paper" > "$data/paper-v$v.json"
    else
      sed -E "0,/\"format\": *\"onex-paper\/1\",/s//&  \"version\": $v,/" "$paper" > "$data/paper-v$v.json"
    fi
    $central import paper --data "$data" "$data/paper-v$v.json" >/dev/null
    echo "$v" > "$data/paper-version"
    version=(--paper-version "$v")
  fi
  start=$(date -u -d '+15 minutes' +%Y-%m-%dT%H:%M:00Z)
  session=$($central session create --data "$data" --site SITE-001 --room A101 --paper "$paper_id" "${version[@]}" --start "$start")
  $central import roster --data "$data" "$roster" --session "$session" >/dev/null
  echo "$session" > "$data/session"
  date -d "$start" +%s > "$data/session-start"
fi
session=$(cat "$data/session")

$central serve --data "$data" --addr "$addr" >>"$data/central.log" 2>&1 &
central_pid=$!
trap 'kill $central_pid 2>/dev/null; wait $central_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null && break
  kill -0 $central_pid 2>/dev/null || { echo "central did not start; see $data/central.log" >&2; exit 1; }
  sleep 0.1
done

if [ ! -f "$sitedata/site.db" ]; then
  ONEX_PASSPHRASE=$demo_pass $app enrol --data "$sitedata" --server "http://$addr" \
    --code "$($central enrol-code --data "$data" --site SITE-001)" --name "A101 demo station" >/dev/null
fi

echo
echo "OneX demo"
echo "  office:           http://$addr/office/   (admin / $(cat "$data/admin-password"))"
echo "  session:          $session, room A101, starts $(date -d "@$(cat "$data/session-start")" +%H:%M)"
echo "  site passphrase:  $demo_pass   (the app asks for it at every start)"
echo "  unlock code:      $($central unlock-code --data "$data" --session "$session")"
echo "  central's log:    $data/central.log"
echo

if [ "${HEADLESS:-}" = 1 ] || [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  [ "${HEADLESS:-}" = 1 ] || echo "no display: central only (Ctrl-C stops it); on a desktop, make run opens the site app too"
  wait $central_pid
else
  ONEX_DATA=$sitedata ONEX_SERVER="http://$addr" $app
fi
