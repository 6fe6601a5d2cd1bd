; Inno Setup script: a per-user or per-machine Windows installer for the PyInstaller bundle.
; Build (after `pyinstaller packaging/desktop-search.spec` on Windows):
;   iscc /DAppVersion=0.1.0 packaging\windows\desktop-search.iss
; Paths are relative to this file. Not run on the Linux development machine; built by
; .github/workflows/release.yml on a Windows runner.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z desktop-search.iss
#endif

[Setup]
AppId={{6C1F3E2A-5B7D-4D8E-9A41-2F0C7B9D3E15}
AppName=Desktop Search
AppVersion={#AppVersion}
AppPublisher=Desktop Search developers
DefaultDirName={autopf}\Desktop Search
DefaultGroupName=Desktop Search
DisableProgramGroupPage=yes
; Installing for the current user needs no administrator; the dialog lets people choose.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=desktop-search-{#AppVersion}-windows-x86_64-setup
SetupIconFile=..\..\build\icons\desktop-search.ico
UninstallDisplayIcon={app}\Desktop Search.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; Flags: unchecked

[Files]
Source: "..\..\dist\desktop-search\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Desktop Search"; Filename: "{app}\Desktop Search.exe"
Name: "{autodesktop}\Desktop Search"; Filename: "{app}\Desktop Search.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Desktop Search.exe"; Description: "{cm:LaunchProgram,Desktop Search}"; Flags: nowait postinstall skipifsilent
