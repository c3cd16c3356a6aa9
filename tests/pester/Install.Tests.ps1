# The package build/package.sh writes (out/PsWebSocket.<version>.nupkg), installed as a user would:
# unpacked into a fresh folder on PSModulePath in the layout Install-PSResource leaves
# (<folder>/PsWebSocket/<version>/, without NuGet's own files), then used from new pwsh sessions
# that see only that folder: Import-Module by name, the chat example, Get-Help.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    $root = Join-Path $PSScriptRoot '../..' | Resolve-Path
    $package = @(Get-ChildItem -Path (Join-Path $root 'out') -Filter 'PsWebSocket.*.nupkg' -ErrorAction Ignore)
    if ($package.Count -ne 1) {
        throw "expected one out/PsWebSocket.<version>.nupkg, found $($package.Count): run build/package.sh"
    }
    $package = $package[0].FullName

    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [System.IO.Compression.ZipFile]::OpenRead($package)
    try {
        $entries = @($zip.Entries | ForEach-Object FullName)
        $reader = [System.IO.StreamReader]::new($zip.GetEntry('PsWebSocket.nuspec').Open())
        try { $nuspec = [xml]$reader.ReadToEnd() } finally { $reader.Dispose() }
    }
    finally {
        $zip.Dispose()
    }
    $version = $nuspec.package.metadata.version

    # A fresh module folder holding only the installed package.
    $modules = Join-Path $TestDrive 'Modules'
    $installed = Join-Path $modules "PsWebSocket/$version"
    [System.IO.Compression.ZipFile]::ExtractToDirectory($package, $installed)
    foreach ($nugetFile in '[Content_Types].xml', '_rels', 'package', 'PsWebSocket.nuspec') {
        Remove-Item -LiteralPath (Join-Path $installed $nugetFile) -Recurse -Force
    }
}

Describe 'The package (out/PsWebSocket.<version>.nupkg)' {
    It 'is a Gallery module package named for the manifest version' {
        Split-Path -Leaf $package | Should -Be "PsWebSocket.$version.nupkg"
        $nuspec.package.metadata.id | Should -Be 'PsWebSocket'
        $tags = $nuspec.package.metadata.tags -split ' '
        $tags | Should -Contain 'PSModule'
        $tags | Should -Contain 'PSEdition_Core'
        $tags | Should -Contain 'PSCmdlet_Send-PodeSignal'
        $nuspec.package.metadata.licenseUrl | Should -Not -BeNullOrEmpty
        $nuspec.package.metadata.projectUrl | Should -Not -BeNullOrEmpty
        $nuspec.package.metadata.releaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'holds the module at its root: manifest, assemblies, help, and the engine per RID' {
        foreach ($file in 'PsWebSocket.psd1', 'PsWebSocket.dll', 'Cronos.dll', 'PsWebSocket.dll-Help.xml', 'en-US/about_PsWebSocket.help.txt', 'runtimes/linux-x64/native/libpsws.so') {
            $entries | Should -Contain $file
        }
    }

    It 'has the manifest the Gallery needs' {
        $manifest = Test-ModuleManifest -Path (Join-Path $installed 'PsWebSocket.psd1')
        $manifest.Version | Should -Be $version
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.PowerShellVersion | Should -Be '7.4'
        $manifest.HelpInfoUri | Should -Not -BeNullOrEmpty
        $psData = $manifest.PrivateData.PSData
        $psData.Tags | Should -Contain 'WebSocket'
        $psData.ProjectUri | Should -Not -BeNullOrEmpty
        $psData.LicenseUri | Should -Not -BeNullOrEmpty
        $psData.ReleaseNotes | Should -Not -BeNullOrEmpty
    }
}

Describe 'PsWebSocket installed from the package' {
    It 'imports by name from the install folder' {
        $lines = Invoke-TestPwsh -ModulePath $modules {
            Import-Module PsWebSocket
            $module = Get-Module PsWebSocket
            $module.ModuleBase
            $module.Version.ToString()
            @($module.ExportedCmdlets.Keys) -contains 'Send-PodeSignal'
        }
        $lines | Should -Be @((Resolve-Path $installed).Path, $version, 'True')
    }

    It 'runs the chat example with the installed engine' {
        $port = Get-FreeTcpPort
        $server = Start-TestServer -Path (Join-Path $root 'examples/chat/server.ps1') -Port $port -Parameters @{ Port = $port } -ModulePath $modules
        try {
            $a = Connect-TestWebSocket "$($server.Ws)/msg"
            $id = (Receive-TestWebSocket $a -AsJson).clientId
            (Receive-TestWebSocket $a -AsJson).clients | Should -Be @($id)
            (Receive-TestWebSocket $a -AsJson).type | Should -Be 'join'
            Send-TestWebSocket $a '{"message":"installed"}'
            $message = Receive-TestWebSocket $a -AsJson
            $message.type | Should -Be 'message'
            $message.message | Should -Be 'installed'
            Close-TestWebSocket $a

            # The server process mapped the engine from the install folder, nothing else.
            $engines = @(Get-Content "/proc/$($server.Process.Id)/maps" | Where-Object { $_ -match 'libpsws' } | ForEach-Object { ($_ -split '\s+', 6)[5] } | Select-Object -Unique)
            $engines | Should -Be @((Join-Path (Resolve-Path $installed).Path 'runtimes/linux-x64/native/libpsws.so'))
        }
        finally {
            $stopped = Stop-TestServer $server
        }
        $stopped.Errors | Should -BeNullOrEmpty
    }

    It 'says which engine is missing, and where it looked, when the package lacks it' {
        $broken = Join-Path $TestDrive 'Broken'
        $copy = Join-Path $broken "PsWebSocket/$version"
        $null = New-Item -ItemType Directory -Path $copy
        Copy-Item -Path "$installed/*" -Destination $copy -Recurse
        Remove-Item -LiteralPath (Join-Path $copy 'runtimes/linux-x64') -Recurse -Force
        $message = Invoke-TestPwsh -ModulePath $broken {
            Import-Module PsWebSocket
            try { Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http } } catch { $_.Exception.Message }
        }
        $message | Should -BeLike "*for linux-x64 is missing: libpsws.so is not in $((Resolve-Path $copy).Path)/runtimes/linux-x64/native*"
    }

    It 'has Get-Help about_PsWebSocket and the cmdlets'' help' {
        $lines = Invoke-TestPwsh -ModulePath $modules {
            (Get-Help about_PsWebSocket | Out-String -Width 200)
            '---'
            (Get-Help Send-PodeSignal).Synopsis
        }
        $text = $lines -join "`n"
        $about, $synopsis = $text -split "`n---`n"
        $about | Should -Match 'about_PsWebSocket'
        $about | Should -Match 'SHORT DESCRIPTION'
        $about | Should -Match 'Import-Module PsWebSocket'
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -Match 'Send-PodeSignal \[' -Because 'the synopsis comes from the MAML help, not the generated syntax'
    }
}
