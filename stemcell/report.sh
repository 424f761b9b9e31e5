# Guest-side helpers of the BOSH test stemcell, sourced by /init and by the
# ACPI and DHCP hook scripts (installed as /lib/bosh-test/report.sh).
#
# Every report is one line "BOSH-TEST <compact JSON object>" on the serial
# console.  The JSON is always built by jq, never by string concatenation.
# shellcheck disable=SC2016 # $names in single quotes are jq variables

BOSH_TEST_CONSOLE=${BOSH_TEST_CONSOLE:-/dev/console}

# report JQ_ARGS... -- runs `jq -cn JQ_ARGS...` and prints its output as one
# report line.  The caller passes the filter and any --arg/--argjson/--args.
report() {
	_bt_json=$(jq -cn "$@") && [ -n "$_bt_json" ] ||
		_bt_json='{"event":"error","step":"report","message":"jq could not build a report"}'
	# One printf = one write(2), so a line is never split by other writers.
	printf 'BOSH-TEST %s\n' "$_bt_json" >"$BOSH_TEST_CONSOLE"
}

# report_json JSON -- prints JSON that jq already wrote as one compact object.
report_json() {
	case $1 in
	'{'*'}') printf 'BOSH-TEST %s\n' "$1" >"$BOSH_TEST_CONSOLE" ;;
	*) report '{event: "error", step: "report", message: "not a compact JSON object"}' ;;
	esac
}

# report_error STEP MESSAGE [JQ_ARGS... FILTER-FOR-EXTRA-FIELDS]
report_error() {
	_bt_step=$1 _bt_msg=$2
	shift 2
	if [ $# -gt 0 ]; then
		_bt_extra=$(jq -cn "$@") || _bt_extra='{}'
	else
		_bt_extra='{}'
	fi
	report --arg step "$_bt_step" --arg message "$_bt_msg" --argjson extra "$_bt_extra" \
		'{event: "error", step: $step, message: $message} + $extra'
}

# shutdown_now ACTION REASON -- reports and then powers off/reboots/halts at once.
shutdown_now() {
	report --arg action "$1" --arg reason "$2" '{event: "shutdown", action: $action, reason: $reason}'
	sync
	case $1 in
	reboot) reboot -f ;;
	halt) halt -f ;;
	*) poweroff -f ;;
	esac
}
