import NoxCtl

// All of noxctl is in the NoxCtl library (tested by NoxCtlTests); this only starts it.
NoxCtlMain.main()
