package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
)

// helm is built from the Go module proxy by `make helm` into .cache/bin.
func helm(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := filepath.Join(testenv.Root(), ".cache", "bin", "helm")
	if _, err := os.Stat(bin); err != nil {
		msg := "helm is not built (" + err.Error() + "); run `make helm`, or `make test`"
		if os.Getenv("PIXELPIPE_REQUIRE_STACK") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = testenv.Root()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "helm %s: %s", strings.Join(args, " "), stderr.String())
	return out
}

type rendered struct {
	deployments map[string]*appsv1.Deployment
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	policies    map[string]*networkingv1.NetworkPolicy
	services    map[string]*corev1.Service
	jobs        map[string]*batchv1.Job
	monitors    int
}

// render templates the chart and decodes every document strictly into its
// Kubernetes type, so an unknown or misplaced field fails the test.
func render(t *testing.T, args ...string) rendered {
	t.Helper()
	out := helm(t, append([]string{"template", "pp", "helm/pixelpipe"}, args...)...)
	r := rendered{
		deployments: map[string]*appsv1.Deployment{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, policies: map[string]*networkingv1.NetworkPolicy{},
		services: map[string]*corev1.Service{}, jobs: map[string]*batchv1.Job{},
	}
	for _, doc := range strings.Split(string(out), "\n---") {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(doc), "---")) == "" {
			continue
		}
		var meta struct{ Kind, APIVersion string }
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		var name string
		decode := func(obj interface{ GetName() string }) {
			require.NoError(t, yaml.UnmarshalStrict([]byte(doc), obj), "%s:\n%s", meta.Kind, doc)
			name = obj.GetName()
		}
		switch meta.Kind {
		case "Deployment":
			o := &appsv1.Deployment{}
			decode(o)
			r.deployments[name] = o
		case "HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			decode(o)
			r.hpas[name] = o
		case "PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			decode(o)
			r.pdbs[name] = o
		case "NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			decode(o)
			r.policies[name] = o
		case "Service":
			o := &corev1.Service{}
			decode(o)
			r.services[name] = o
		case "Job":
			o := &batchv1.Job{}
			decode(o)
			r.jobs[name] = o
		case "ServiceMonitor":
			assert.Equal(t, "monitoring.coreos.com/v1", meta.APIVersion)
			r.monitors++
		default:
			t.Errorf("unexpected kind %q in the chart", meta.Kind)
		}
	}
	return r
}

func TestHelmLint(t *testing.T) {
	out := helm(t, "lint", "--strict", "helm/pixelpipe")
	assert.Contains(t, string(out), "0 chart(s) failed")
}

func TestHelmRendersEveryStage(t *testing.T) {
	r := render(t, "--set", "clickhouse.passwordSecret.name=clickhouse-credentials", "--set", "serviceMonitor.enabled=true")
	for _, c := range []string{"edge", "enricher", "sink"} {
		d := r.deployments["pp-pixelpipe-"+c]
		require.NotNil(t, d, "deployment of %s", c)
		pod := d.Spec.Template.Spec
		require.Len(t, pod.Containers, 1)
		ctr := pod.Containers[0]
		assert.Equal(t, c, d.Spec.Template.Labels["app.kubernetes.io/component"])
		assert.Equal(t, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
		require.NotNil(t, ctr.ReadinessProbe)
		require.NotNil(t, ctr.LivenessProbe)
		assert.Equal(t, "/readyz", ctr.ReadinessProbe.HTTPGet.Path)
		assert.Equal(t, "admin", ctr.ReadinessProbe.HTTPGet.Port.String(), "probes use the admin port")
		assert.Equal(t, "/healthz", ctr.LivenessProbe.HTTPGet.Path)
		assert.True(t, *pod.SecurityContext.RunAsNonRoot)
		assert.False(t, *ctr.SecurityContext.AllowPrivilegeEscalation)
		assert.False(t, ctr.Resources.Requests.Cpu().IsZero(), "%s requests CPU (the HPA needs it)", c)
		assert.NotNil(t, r.hpas["pp-pixelpipe-"+c], "HPA of %s", c)
		assert.NotNil(t, r.pdbs["pp-pixelpipe-"+c], "PDB of %s", c)
		assert.NotNil(t, r.policies["pp-pixelpipe-"+c+"-admin"], "NetworkPolicy of %s's admin port", c)
		assert.NotNil(t, r.services["pp-pixelpipe-"+c+"-admin"], "admin Service of %s", c)
		assert.Contains(t, envNames(ctr.Env), strings.ToUpper(c)+"_KAFKA_BROKERS")
	}
	assert.NotNil(t, r.services["pp-pixelpipe-edge"])
	assert.Equal(t, 1, r.monitors)

	edge := r.deployments["pp-pixelpipe-edge"].Spec.Template.Spec
	require.Len(t, edge.Containers[0].VolumeMounts, 1, "the edge's spool is a writable volume (the root FS is read-only)")
	spool := findEnv(edge.Containers[0].Env, "EDGE_SPOOL_DIR")
	require.NotNil(t, spool)
	assert.Equal(t, edge.Containers[0].VolumeMounts[0].MountPath, spool.Value)
	require.Len(t, edge.Volumes, 1)
	assert.NotNil(t, edge.Volumes[0].EmptyDir)

	sink := r.deployments["pp-pixelpipe-sink"].Spec.Template.Spec.Containers[0]
	password := findEnv(sink.Env, "SINK_CLICKHOUSE_PASSWORD")
	require.NotNil(t, password, "the password comes from a Secret")
	require.NotNil(t, password.ValueFrom)
	assert.Equal(t, "clickhouse-credentials", password.ValueFrom.SecretKeyRef.Name)
	assert.Empty(t, password.Value)

	job := r.jobs["pp-pixelpipe-migrate"]
	require.NotNil(t, job, "migrations run as a Job")
	assert.Equal(t, "pre-install,pre-upgrade", job.Annotations["helm.sh/hook"])
	assert.NotNil(t, findEnv(job.Spec.Template.Spec.Containers[0].Env, "MIGRATE_CLICKHOUSE_PASSWORD"))
}

func TestHelmPassesKafkaCredentialsFromASecret(t *testing.T) {
	r := render(t, "--set", "kafka.sasl.mechanism=SCRAM-SHA-512", "--set", "kafka.sasl.user=pixel",
		"--set", "kafka.sasl.passwordSecret.name=kafka-credentials", "--set", "kafka.tls.enabled=true")
	for _, c := range []string{"edge", "enricher", "sink"} {
		env := r.deployments["pp-pixelpipe-"+c].Spec.Template.Spec.Containers[0].Env
		prefix := strings.ToUpper(c)
		require.NotNil(t, findEnv(env, prefix+"_KAFKA_SASL_MECHANISM"))
		assert.Equal(t, "SCRAM-SHA-512", findEnv(env, prefix+"_KAFKA_SASL_MECHANISM").Value)
		password := findEnv(env, prefix+"_KAFKA_SASL_PASSWORD")
		require.NotNil(t, password)
		assert.Equal(t, "kafka-credentials", password.ValueFrom.SecretKeyRef.Name)
		require.NotNil(t, findEnv(env, prefix+"_KAFKA_TLS"))
	}
}

func TestHelmOptionalPartsCanBeTurnedOff(t *testing.T) {
	r := render(t, "--set", "networkPolicy.enabled=false", "--set", "migrate.enabled=false",
		"--set", "enricher.autoscaling.enabled=false", "--set", "enricher.replicas=3")
	assert.Empty(t, r.policies)
	assert.Empty(t, r.jobs)
	assert.Zero(t, r.monitors)
	assert.Nil(t, r.hpas["pp-pixelpipe-enricher"])
	assert.Equal(t, int32(3), *r.deployments["pp-pixelpipe-enricher"].Spec.Replicas)
	assert.Nil(t, findEnv(r.deployments["pp-pixelpipe-sink"].Spec.Template.Spec.Containers[0].Env, "SINK_CLICKHOUSE_PASSWORD"))
}

func envNames(env []corev1.EnvVar) []string {
	var names []string
	for _, e := range env {
		names = append(names, e.Name)
	}
	return names
}

func findEnv(env []corev1.EnvVar, name string) *corev1.EnvVar {
	for i := range env {
		if env[i].Name == name {
			return &env[i]
		}
	}
	return nil
}
