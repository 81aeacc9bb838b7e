module github.com/kook-project/kook

go 1.26

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	github.com/go-zookeeper/zk v1.0.4 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
