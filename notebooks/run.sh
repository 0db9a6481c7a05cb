#!/usr/bin/env bash
# Runs the lesson's notebooks headless, top to bottom, as a learner runs them: packs the libraries into ./packages
# (where nuget.config points the notebooks' #r "nuget: ..." lines), installs dotnet-repl into out/tools, runs each
# notebook into out/, and fails on any cell error or on a reported accuracy below the
# lesson's 0.96 (check.mjs). The executed notebooks are out/*.ipynb; the plots they drew, out/images/*.png.
# NuGet restores into out/'s own packages folder and HTTP cache, which start empty, as a new user's do: no copy of
# our packages from an earlier run or another checkout stands in for the ones just packed.
set -euo pipefail
cd "$(dirname "$0")"

rm -rf packages out
mkdir -p out
export NUGET_PACKAGES="$PWD/out/nuget-packages" NUGET_HTTP_CACHE_PATH="$PWD/out/nuget-http-cache"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet pack ../MlNetMnist.sln -c Release -o packages --nologo -v q
# dotnet-repl goes into out/tools rather than a local-tool manifest: `dotnet tool restore` records where it put a tool
# in one cache per user (~/.dotnet/toolResolverCache), and an entry left by another checkout, since deleted, made
# restore report success and `dotnet dotnet-repl` then ask for a restore. A tool path holds everything it needs.
dotnet tool install dotnet-repl --version 0.3.259 --tool-path out/tools

# TorchSharp's libLibTorchSharp.so asks for GLIBCXX_3.4.32, which older libstdc++ (Debian 12) lacks. An app's build
# weakens that requirement in its bin folder (the add-on's buildTransitive targets), but a notebook has no build, and
# TorchSharp loads the library from the NuGet packages folder. So restore the add-on once into out/'s packages folder
# and let the add-on's own task weaken the requirement there (it does nothing where libstdc++ has the version).
mkdir -p out/prepare
for isolation in Directory.Build.props Directory.Build.targets Directory.Packages.props; do echo '<Project />' > "out/prepare/$isolation"; done
cat > out/prepare/Prepare.csproj <<'PROJECT'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="MlNetMnist.Trainers.TorchSharp" Version="1.0.0" /></ItemGroup>
  <Target Name="WeakenInPackagesFolder">
    <WeakenGlibcxxRequirement Directory="$([MSBuild]::EnsureTrailingSlash('$(NuGetPackageRoot)'))torchsharp" Version="GLIBCXX_3.4.32" />
  </Target>
</Project>
PROJECT
dotnet restore out/prepare --nologo -v q
dotnet msbuild out/prepare -t:WeakenInPackagesFolder --nologo -v q

# .NET Interactive caches what each cell's #r "nuget: ..." lines resolved to, in ~/.packagemanagement/nuget/Cache, keyed
# by the packages and versions asked for, and reuses an entry as long as its paths exist: our 1.0.0 packed by another
# checkout or an earlier run would stand in for the one just packed. Forget the entries that name our packages.
for entry in "$HOME"/.packagemanagement/nuget/Cache/*.resolvedReferences.paths; do
  if [[ -f $entry ]] && grep -q -i 'mlnetmnist\.' "$entry"; then rm -f "$entry" "${entry%.resolvedReferences.paths}.csx"; fi
done

status=0
for notebook in [0-9][0-9]_*.ipynb; do
  echo "== $notebook"
  start=$SECONDS
  if ! out/tools/dotnet-repl --run "$notebook" --exit-after-run --output-path "out/$notebook" > "out/${notebook%.ipynb}.log" 2>&1; then
    echo "dotnet-repl failed on $notebook:"; tail -20 "out/${notebook%.ipynb}.log"; status=1
  fi
  # Parts 3 and 4 train the lesson's recipe to its result; parts 1 and 2 check their own steps in their cells.
  expect=(); [[ $notebook == 03_* || $notebook == 04_* ]] && expect=(--expect-result)
  node check.mjs "out/$notebook" "${expect[@]}" --images out/images || status=1
  echo "   $((SECONDS - start)) s"
done
exit "$status"
