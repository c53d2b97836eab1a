{{- define "pixelpipe.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pixelpipe.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "component" "edge"). */}}
{{- define "pixelpipe.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "pixelpipe.image" -}}
{{ .root.Values.image.repository }}-{{ .component }}:{{ .root.Values.image.tag }}
{{- end -}}

{{/* ClickHouse settings as env vars with the given prefix (SINK, MIGRATE). */}}
{{- define "pixelpipe.clickhouseEnv" -}}
- name: {{ .prefix }}_CLICKHOUSE_ADDR
  value: {{ .root.Values.clickhouse.addr | quote }}
- name: {{ .prefix }}_CLICKHOUSE_DATABASE
  value: {{ .root.Values.clickhouse.database | quote }}
- name: {{ .prefix }}_CLICKHOUSE_USER
  value: {{ .root.Values.clickhouse.user | quote }}
{{- with .root.Values.clickhouse.passwordSecret }}
{{- if .name }}
- name: {{ $.prefix }}_CLICKHOUSE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end -}}
