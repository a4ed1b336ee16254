# shellcheck shell=bash
# yamllint, for chart-testing's yamllint rules (test/chart/ct-lintconf.yaml) in the chart suite.
# A Python tool: no Go build. Debian packages it; PyPI is not reachable from these machines.
# (ct lint's other half, yamale's Chart.yaml schema check, is on PyPI only: see README.)
ensure_yamllint() {
  tool_begin yamllint "(Debian)"
  if command -v yamllint >/dev/null 2>&1; then tool_done cached; return; fi
  _apt_install yamllint || _die "yamllint is not installed: apt-get install yamllint (or pip install yamllint), then run this again"
  tool_done "Debian packages (yamllint)"
}
