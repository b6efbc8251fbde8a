module github.com/trigger-bridge/tools/wfvalidate

go 1.25.7
