// Package deploy is statsctl's operations kit: a Dockerfile, Kubernetes
// manifests (k8s/), a Grafana dashboard (grafana/) and Prometheus alert
// rules (prometheus/). It has no code; its tests check the kit against the
// real binary, so a metric the dashboard or the rules name, a flag or a
// probe path the manifests use cannot drift from what statsctl exports and
// accepts.
package deploy
