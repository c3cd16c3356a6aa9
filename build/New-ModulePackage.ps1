<#
.SYNOPSIS
    Packs a module folder into <Name>.<version>.nupkg as the PowerShell Gallery publishes it.

.DESCRIPTION
    The package holds the module folder's files at its root and a nuspec made from the manifest the
    way Publish-PSResource makes it: id, version, authors, description, copyright, release notes,
    project and licence URLs, and the Gallery's tags (PSModule, PSEdition_*, PSIncludes_Cmdlet,
    PSCmdlet_<name> and PSCommand_<name> for each exported cmdlet) after the manifest's own Tags.
    NuGet's own packer (dotnet pack with a nuspec) writes the file. Install-PSResource and
    Install-Module install such a package as <module path>/<Name>/<version>/.

.PARAMETER ModuleDir
    The module folder (its manifest is <folder name>.psd1).

.PARAMETER OutDir
    Where the .nupkg goes.

.PARAMETER PackProject
    A project dotnet pack evaluates (nothing of it is packed; the nuspec says what goes in).

.EXAMPLE
    build/run-ps1.sh build/New-ModulePackage.ps1 -ModuleDir out/PsWebSocket -OutDir out -PackProject powershell/src/PsWebSocket/PsWebSocket.csproj
#>
param(
    [Parameter(Mandatory)]
    [string]
    $ModuleDir,

    [Parameter(Mandatory)]
    [string]
    $OutDir,

    [Parameter(Mandatory)]
    [string]
    $PackProject
)

$ErrorActionPreference = 'Stop'
$ModuleDir = (Resolve-Path -LiteralPath $ModuleDir).Path
$name = Split-Path -Leaf $ModuleDir
$manifest = Test-ModuleManifest -Path (Join-Path $ModuleDir "$name.psd1")
$data = Import-PowerShellDataFile -Path (Join-Path $ModuleDir "$name.psd1")
$psData = $data.PrivateData.PSData

$cmdlets = @($data.CmdletsToExport)
$tags = @($psData.Tags) + 'PSModule' + @($data.CompatiblePSEditions | ForEach-Object { "PSEdition_$_" }) + 'PSIncludes_Cmdlet' +
    @($cmdlets | ForEach-Object { "PSCmdlet_$_" }) + @($cmdlets | ForEach-Object { "PSCommand_$_" })

$nuspec = [xml]'<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd"><metadata /><files /></package>'
$ns = $nuspec.DocumentElement.NamespaceURI
$metadata = $nuspec.package.ChildNodes[0]
$fields = [ordered]@{
    id                       = $name
    version                  = $manifest.Version.ToString()
    authors                  = $data.Author
    owners                   = $data.CompanyName
    requireLicenseAcceptance = 'false'
    licenseUrl               = $psData.LicenseUri
    projectUrl               = $psData.ProjectUri
    description              = $data.Description
    releaseNotes             = $psData.ReleaseNotes
    copyright                = $data.Copyright
    tags                     = $tags -join ' '
}
foreach ($field in $fields.GetEnumerator()) {
    if ($field.Value) {
        $node = $nuspec.CreateElement($field.Key, $ns)
        $node.InnerText = $field.Value
        $null = $metadata.AppendChild($node)
    }
}
$files = $nuspec.package.ChildNodes[1]
$file = $nuspec.CreateElement('file', $ns)
$file.SetAttribute('src', '**')
$file.SetAttribute('target', '')
$null = $files.AppendChild($file)

$work = Join-Path ([System.IO.Path]::GetTempPath()) "psws-pack-$([guid]::NewGuid().ToString('N'))"
$null = New-Item -ItemType Directory -Path $work
try {
    $nuspecPath = Join-Path $work "$name.nuspec"
    $nuspec.Save($nuspecPath)
    $OutDir = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutDir)
    # A module package keeps its assemblies at the root, not in lib/ (NU5100), and the Gallery reads licenseUrl (NU5125).
    & dotnet pack $PackProject --no-build --nologo -v:quiet -o $OutDir "-p:NuspecFile=$nuspecPath" "-p:NuspecBasePath=$ModuleDir" '-p:NoWarn=NU5100%3BNU5125'
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet pack failed with exit code $LASTEXITCODE"
    }
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force
}
$package = Join-Path $OutDir "$name.$($fields.version).nupkg"
if (-not (Test-Path -LiteralPath $package)) {
    throw "dotnet pack did not write $package"
}
$package
