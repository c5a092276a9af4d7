{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "smsp-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: release name plus chart name, unless one contains the other. */}}
{{- define "smsp-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "smsp-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "smsp-bridge.labels" -}}
helm.sh/chart: {{ include "smsp-bridge.chart" . }}
{{ include "smsp-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: smsp-bridge
{{- end }}

{{- define "smsp-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "smsp-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The API Service's own label, by which the ServiceMonitor tells it from the headless one. */}}
{{- define "smsp-bridge.apiServiceLabel" -}}
app.kubernetes.io/component: api
{{- end }}

{{/*
The `helm test` pod's labels: not the selector labels (no Service may send it traffic); the
NetworkPolicy lets pods with them in.
*/}}
{{- define "smsp-bridge.helmTestLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
{{- end }}

{{- define "smsp-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "smsp-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "smsp-bridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "smsp-bridge.workloadKind" -}}
{{- $k := .Values.workload.kind | default "Deployment" }}
{{- if not (has $k (list "Deployment" "StatefulSet")) }}
{{- fail (printf "workload.kind must be Deployment or StatefulSet, not %q" $k) }}
{{- end }}
{{- $k }}
{{- end }}

{{- define "smsp-bridge.smspTlsSecretName" -}}
{{- .Values.smspTls.existingSecret | default (printf "%s-smsp-tls" (include "smsp-bridge.fullname" .)) }}
{{- end }}

{{- define "smsp-bridge.usersSecretName" -}}
{{- .Values.users.existingSecret | default (printf "%s-users" (include "smsp-bridge.fullname" .)) }}
{{- end }}

{{- define "smsp-bridge.auditClaimName" -}}
{{- .Values.audit.persistence.existingClaim | default (printf "%s-audit" (include "smsp-bridge.fullname" .)) }}
{{- end }}

{{/* Where things are mounted in the pod. */}}
{{- define "smsp-bridge.configDir" -}}/etc/smsp-bridge/config{{- end }}
{{- define "smsp-bridge.mappingsDir" -}}/etc/smsp-bridge/mappings{{- end }}
{{- define "smsp-bridge.tlsDir" -}}/etc/smsp-bridge/tls{{- end }}
{{- define "smsp-bridge.usersDir" -}}/etc/smsp-bridge/users{{- end }}

{{/*
shutdown_grace_seconds from config, as an integer.
*/}}
{{- define "smsp-bridge.shutdownGrace" -}}
{{- $g := .Values.config.shutdown_grace_seconds | default 10 }}
{{- int64 $g }}
{{- end }}

{{/*
terminationGracePeriodSeconds: given, or grace + preStop sleep + 10. Must exceed grace + preStop
sleep, or SIGKILL could cut the drain (and the audit flush) short.
*/}}
{{- define "smsp-bridge.terminationGrace" -}}
{{- $floor := add (include "smsp-bridge.shutdownGrace" . | int64) (int64 .Values.preStopSleepSeconds) }}
{{- if .Values.terminationGracePeriodSeconds }}
{{- $t := int64 .Values.terminationGracePeriodSeconds }}
{{- if le $t $floor }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed config.shutdown_grace_seconds + preStopSleepSeconds (%d)" $t $floor) }}
{{- end }}
{{- $t }}
{{- else }}
{{- add $floor 10 }}
{{- end }}
{{- end }}

{{/*
The configuration the bridge reads: values.config with the keys the chart owns forced.
Returns YAML; callers use fromYaml.
*/}}
{{- define "smsp-bridge.effectiveConfig" -}}
{{- $cfg := deepCopy (.Values.config | default dict) }}
{{- $_ := set $cfg "listen" (printf "0.0.0.0:%d" (int .Values.containerPort)) }}
{{- if .Values.mappings.files }}
{{- $_ := set $cfg "mappings_dir" (include "smsp-bridge.mappingsDir" .) }}
{{- else }}
{{- $_ := unset $cfg "mappings_dir" }}
{{- end }}
{{- $smsp := get $cfg "smsp" | default dict }}
{{- $tls := include "smsp-bridge.tlsDir" . }}
{{- $_ := set $smsp "client_cert" (printf "%s/%s" $tls .Values.smspTls.keys.clientCert) }}
{{- $_ := set $smsp "client_key" (printf "%s/%s" $tls .Values.smspTls.keys.clientKey) }}
{{- $_ := set $smsp "ca_cert" (printf "%s/%s" $tls .Values.smspTls.keys.caCert) }}
{{- $_ := set $cfg "smsp" $smsp }}
{{- $security := get $cfg "security" | default dict }}
{{- $audit := get $security "audit" | default dict }}
{{- $_ := set $audit "dir" .Values.audit.dir }}
{{- $_ := set $security "audit" $audit }}
{{- if .Values.users.enabled }}
{{- $basic := get $security "basic" | default dict }}
{{- $_ := set $basic "users_file" (printf "%s/%s" (include "smsp-bridge.usersDir" .) .Values.users.key) }}
{{- $_ := set $security "basic" $basic }}
{{- end }}
{{- $_ := set $cfg "security" $security }}
{{- toYaml $cfg }}
{{- end }}

{{/*
A map rendered as a TOML table body: scalars and arrays first, then sub-tables.
Argument: dict "prefix" "<dotted table name or empty>" "table" <map>.
*/}}
{{- define "smsp-bridge.tomlTable" -}}
{{- $prefix := .prefix }}
{{- range $k, $v := .table }}
{{- if not (or (kindIs "map" $v) (kindIs "invalid" $v) (include "smsp-bridge.isTableArray" $v)) }}
{{ include "smsp-bridge.tomlKey" $k }} = {{ include "smsp-bridge.tomlValue" $v }}
{{- end }}
{{- end }}
{{- range $k, $v := .table }}
{{- $name := include "smsp-bridge.tomlKey" $k }}
{{- if $prefix }}{{ $name = printf "%s.%s" $prefix $name }}{{ end }}
{{- if kindIs "map" $v }}

[{{ $name }}]
{{- include "smsp-bridge.tomlTable" (dict "prefix" $name "table" $v) }}
{{- else if include "smsp-bridge.isTableArray" $v }}
{{- range $v }}

[[{{ $name }}]]
{{- include "smsp-bridge.tomlTable" (dict "prefix" $name "table" .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* "true" for a non-empty list of maps (a TOML array of tables), else "". */}}
{{- define "smsp-bridge.isTableArray" -}}
{{- if and (kindIs "slice" .) (gt (len .) 0) }}
{{- $all := true }}
{{- range . }}{{ if not (kindIs "map" .) }}{{ $all = false }}{{ end }}{{ end }}
{{- if $all }}true{{ end }}
{{- end }}
{{- end }}

{{- define "smsp-bridge.tomlKey" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . }}{{ . }}{{ else }}{{ toJson . }}{{ end }}
{{- end }}

{{/* A TOML value. YAML numbers arrive as float64: whole ones are written as integers. */}}
{{- define "smsp-bridge.tomlValue" -}}
{{- if kindIs "float64" . }}
{{- if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else if or (kindIs "int" .) (kindIs "int64" .) (kindIs "bool" .) }}{{ . }}
{{- else if kindIs "string" . }}{{ toJson . }}
{{- else if kindIs "slice" . }}[{{ range $i, $e := . }}{{ if $i }}, {{ end }}{{ include "smsp-bridge.tomlValue" $e }}{{ end }}]
{{- else }}{{ fail (printf "config: cannot write %v (%s) as TOML" . (kindOf .)) }}
{{- end }}
{{- end }}
