# shellcheck shell=bash
# The option loop of pollbench's shell scripts (scripts/*.sh, bench/loadgen/compare_wrk.sh),
# written once. Sourced; each script declares its options and checks their values itself.
#
#   pb_parse_options SPEC... -- "$@"
#
# Each SPEC names an option and the variable it sets:
#   --name:var    a flag: sets var=1 (--name=VALUE is refused)
#   --name=var    takes a value, as --name VALUE or --name=VALUE: sets var
#   --name+=var   takes a value and may repeat: appends it to the array var
# -h and --help call the script's usage() and exit 0. An unknown option, a flag given a value, a
# missing value or a stray argument is a usage error (pb_usage_error: exit 2). pb_given[--name]
# is 1 for every option given, so a script can tell "--skip ''" from no --skip at all.
#
# pb_prog (default: the script's path as typed) names the script in the messages.

declare -gA pb_given=()
pb_prog=${pb_prog:-$0}

# pb_usage_error MESSAGE...: the usage-error convention of every script: "error: ..." and where
# to read more on stderr, exit 2.
pb_usage_error() {
  echo "error: $*" >&2
  echo "see: $pb_prog --help" >&2
  exit 2
}

pb_parse_options() {
  local -A _pb_kind=() _pb_var=()
  local _pb_spec _pb_name _pb_opt _pb_value
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    _pb_spec=$1
    shift
    case "$_pb_spec" in
      *+=*) _pb_name=${_pb_spec%%+=*} _pb_kind[${_pb_spec%%+=*}]=list _pb_var[$_pb_name]=${_pb_spec#*+=} ;;
      *=*) _pb_name=${_pb_spec%%=*} _pb_kind[${_pb_spec%%=*}]=value _pb_var[$_pb_name]=${_pb_spec#*=} ;;
      *:*) _pb_name=${_pb_spec%%:*} _pb_kind[${_pb_spec%%:*}]=flag _pb_var[$_pb_name]=${_pb_spec#*:} ;;
      *) echo "pb_parse_options: bad spec '$_pb_spec'" >&2; exit 70 ;;
    esac
  done
  [ "${1:-}" = -- ] && shift
  while [ $# -gt 0 ]; do
    _pb_opt=$1 _pb_value=""
    case "$_pb_opt" in
      -h|--help) usage; exit 0 ;;
      --*=*) _pb_opt=${1%%=*} _pb_value=${1#*=}
             [ -n "${_pb_kind[$_pb_opt]:-}" ] || pb_usage_error "unknown option '$_pb_opt'"
             [ "${_pb_kind[$_pb_opt]}" != flag ] || pb_usage_error "$_pb_opt takes no value" ;;
      --*) [ -n "${_pb_kind[$_pb_opt]:-}" ] || pb_usage_error "unknown option '$_pb_opt'"
           if [ "${_pb_kind[$_pb_opt]}" != flag ]; then
             [ $# -ge 2 ] || pb_usage_error "$_pb_opt needs a value"
             _pb_value=$2
             shift
           fi ;;
      -*) pb_usage_error "unknown option '$_pb_opt'" ;;
      *) pb_usage_error "unexpected argument '$_pb_opt'" ;;
    esac
    pb_given[$_pb_opt]=1
    case "${_pb_kind[$_pb_opt]}" in
      flag) printf -v "${_pb_var[$_pb_opt]}" 1 ;;
      value) printf -v "${_pb_var[$_pb_opt]}" '%s' "$_pb_value" ;;
      list) local -n _pb_list=${_pb_var[$_pb_opt]}; _pb_list+=("$_pb_value"); unset -n _pb_list ;;
    esac
    shift
  done
}
