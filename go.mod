module github.com/varcade/statsctl

go 1.26.8
