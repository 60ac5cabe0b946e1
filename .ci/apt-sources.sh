# Reading the machine's own apt configuration, so that CI adds a suite from the archive the machine
# already uses rather than from a host written here. Sourced by .ci/run; tested by
# test/ci/apt-sources.test.ts with sample files.

# The apt source files that exist: sources.list and sources.list.d's *.list (one-line form) and
# *.sources (deb822). Takes the apt directory, /etc/apt by default.
apt_source_files() {
  local dir=${1:-/etc/apt} file
  for file in "$dir/sources.list" "$dir"/sources.list.d/*.list "$dir"/sources.list.d/*.sources; do
    [ -f "$file" ] && printf '%s\n' "$file"
  done
  return 0
}

# The first URI of an enabled `deb` source (not deb-src) whose suites include SUITE exactly; prints
# nothing when none does. Usage: apt_suite_uri SUITE FILE...  (*.sources files are read as deb822,
# every other file as one-line entries; comments, options in [...] and continuation lines allowed).
apt_suite_uri() {
  local suite=$1
  shift
  [ "$#" -gt 0 ] || return 0
  awk -v suite="$suite" '
    function has(list, word,   n, i, w) {
      n = split(list, w, " ")
      for (i = 1; i <= n; i++) if (w[i] == word) return 1
      return 0
    }
    function flush(   u) {
      if (!found && has(types, "deb") && tolower(enabled) != "no" && has(suites, suite)) {
        split(uris, u, " ")
        if (u[1] != "") { print u[1]; found = 1 }
      }
      types = uris = suites = enabled = field = ""
    }
    FNR == 1 { flush(); deb822 = FILENAME ~ /\.sources$/ }
    found { exit }
    deb822 && /^[ \t]*#/ { next }
    deb822 && /^[ \t]*$/ { flush(); next }
    deb822 && /^[ \t]/ { value = $0; sub(/^[ \t]+/, "", value); set(field, value); next }
    deb822 {
      field = tolower(substr($0, 1, index($0, ":") - 1))
      value = substr($0, index($0, ":") + 1)
      sub(/^[ \t]+/, "", value); sub(/[ \t]+$/, "", value)
      set(field, value)
      next
    }
    {
      line = $0
      sub(/#.*/, "", line)
      gsub(/\[[^]]*\]/, " ", line)
      split(line, f, " ")
      if (f[1] == "deb" && f[3] == suite) { print f[2]; found = 1; exit }
    }
    function set(name, value) {
      if (name == "types") types = types " " value
      else if (name == "uris") uris = uris " " value
      else if (name == "suites") suites = suites " " value
      else if (name == "enabled") enabled = value
    }
    END { flush() }
  ' "$@"
}
