#!/usr/bin/env bash
# Set-up for a fresh Debian machine: the tools and data the tests and the main job need.
# Idempotent: what is already there is left alone.
set -euo pipefail

need=()
command -v npm >/dev/null 2>&1 || need+=(npm)
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || need+=(dataset-fashion-mnist)
# scikit-learn's small tabular CSVs (diabetes, breast cancer, wine) for the regression, binary and multiclass targets.
dpkg -s python3-sklearn >/dev/null 2>&1 || need+=(python3-sklearn)
# The serving page's browser test drives Debian's Chromium through its chromedriver.
for package in chromium chromium-driver; do dpkg -s "$package" >/dev/null 2>&1 || need+=("$package"); done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
dotnet restore MlNetMnist.sln --nologo -v q
