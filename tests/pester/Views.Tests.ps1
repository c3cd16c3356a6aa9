# Web pages as Pode serves them: views rendered by the view engine (Html as they are, Pode's .pode
# views with $data and $(...)), redirects, attachments, the public folder and static routes, all
# found from Start-PodeServer -RootPath.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Helpers/PsWebSocket.TestHelpers.psm1') -Force
    $root = Join-Path ([System.IO.Path]::GetTempPath()) "psws-views-$([guid]::NewGuid().ToString('n'))"
    foreach ($folder in 'views', 'public', 'images', 'elsewhere') {
        New-Item -ItemType Directory -Path (Join-Path $root $folder) | Out-Null
    }
    Set-Content -NoNewline -Path (Join-Path $root 'views/day.pode') -Value '<p>$($data.Date)</p><p>$(1 + 2)</p><p class="x">quoted</p>'
    Set-Content -NoNewline -Path (Join-Path $root 'views/plain.html') -Value '<p>$($data.Date)</p>'
    Set-Content -NoNewline -Path (Join-Path $root 'public/report.txt') -Value 'the report'
    Set-Content -NoNewline -Path (Join-Path $root 'images/logo.svg') -Value '<svg/>'

    # The script lives outside the root: views and public/ are found from -RootPath.
    $port = Get-FreeTcpPort
    $script = Join-Path $root 'elsewhere/server.ps1'
    Set-Content -Path $script -Value @"
Import-Module PsWebSocket
Start-PodeServer -RootPath '$root' -Quiet {
    Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
    Set-PodeViewEngine -Type Pode
    Add-PodeRoute -Method Get -Path '/day' -ScriptBlock { Write-PodeViewResponse -Path 'day' -Data @{ Date = '2020-03-14' } }
    Add-PodeRoute -Method Get -Path '/plain' -ScriptBlock { Write-PodeViewResponse -Path 'plain.html' -Data @{ Date = 'not used' } }
    Add-PodeRoute -Method Get -Path '/missing' -ScriptBlock { Write-PodeViewResponse -Path 'nothing' }
    Add-PodeRoute -Method Get -Path '/found' -ScriptBlock { Move-PodeResponseUrl -Url '/day' }
    Add-PodeRoute -Method Get -Path '/moved' -ScriptBlock { Move-PodeResponseUrl -Url '/day' -Moved }
    Add-PodeRoute -Method Get -Path '/download' -ScriptBlock { Set-PodeResponseAttachment -Path 'report.txt' }
    Add-PodeRoute -Method Get -Path '/download-static' -ScriptBlock { Set-PodeResponseAttachment -Path '/assets/logo.svg' }
    Add-PodeRoute -Method Get -Path '/download-missing' -ScriptBlock { Set-PodeResponseAttachment -Path '../elsewhere/server.ps1' }
    Add-PodeStaticRoute -Path '/assets' -Source './images'
}
"@
    $server = Start-TestServer -Path $script -Port $port
    $base = $server.Http
}

AfterAll {
    $stopped = Stop-TestServer $server
    Remove-Item -Recurse -Force -Path $root -ErrorAction SilentlyContinue
}

Describe 'Views' {
    It 'renders a .pode view with $data and $(...), quotes kept' {
        $response = Invoke-WebRequest "$base/day"
        $response.Content | Should -Be '<p>2020-03-14</p><p>3</p><p class="x">quoted</p>'
        $response.Headers['Content-Type'] | Should -Be 'text/html; charset=utf-8'
    }

    It 'sends an .html view as it is' {
        (Invoke-WebRequest "$base/plain").Content | Should -Be '<p>$($data.Date)</p>'
    }

    It 'answers 404 for a view that does not exist' {
        (Invoke-WebRequest "$base/missing" -SkipHttpErrorCheck).StatusCode | Should -Be 404
    }
}

Describe 'Redirects' {
    It 'answers <Status> with the Location for Move-PodeResponseUrl <Route>' -ForEach @(
        @{ Route = '/found'; Status = 302 }
        @{ Route = '/moved'; Status = 301 }
    ) {
        $response = Invoke-WebRequest "$base$Route" -MaximumRedirection 0 -SkipHttpErrorCheck -ErrorAction SilentlyContinue
        $response.StatusCode | Should -Be $Status
        $response.Headers['Location'] | Should -Be '/day'
    }

    It 'is followed by a client to the target' {
        (Invoke-WebRequest "$base/found").Content | Should -BeLike '<p>2020-03-14</p>*'
    }
}

Describe 'Files' {
    It 'attaches a file of the public folder' {
        $response = Invoke-WebRequest "$base/download"
        $response.Headers['Content-Disposition'] | Should -Be 'attachment; filename=report.txt'
        $response.Headers['Content-Type'] | Should -BeLike 'text/plain*'
        $response.Content | Should -Be 'the report'
    }

    It 'attaches a file of a static route by its URL path' {
        $response = Invoke-WebRequest "$base/download-static"
        $response.Headers['Content-Disposition'] | Should -Be 'attachment; filename=logo.svg'
        $response.Headers['Content-Type'] | Should -Be 'image/svg+xml'
    }

    It 'answers 404 for a file outside the public folder, static routes and root' {
        (Invoke-WebRequest "$base/download-missing" -SkipHttpErrorCheck).StatusCode | Should -Be 404
    }

    It 'serves the public folder and static routes with a charset, as Pode' {
        (Invoke-WebRequest "$base/report.txt").Headers['Content-Type'] | Should -Be 'text/plain; charset=utf-8'
        (Invoke-WebRequest "$base/assets/logo.svg").Headers['Content-Type'] | Should -Be 'image/svg+xml; charset=utf-8'
        (Invoke-WebRequest "$base/images/logo.svg" -SkipHttpErrorCheck).StatusCode | Should -Be 404
    }
}
