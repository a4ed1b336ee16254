{{/*
Cross-field rules that values.schema.json cannot express. Called from the Deployment so every
render checks them; each message names the keys involved.
*/}}
{{- define "taskflow-api.validate" -}}
{{- $scaling := .Values.autoscaling }}
{{- if and $scaling.enabled (gt (int $scaling.minReplicas) (int $scaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" $scaling.minReplicas $scaling.maxReplicas) }}
{{- end }}
{{- if and $scaling.enabled (not (or $scaling.targetCPUUtilizationPercentage $scaling.targetMemoryUtilizationPercentage)) }}
{{- fail "autoscaling.enabled=true needs a target: set autoscaling.targetCPUUtilizationPercentage and/or autoscaling.targetMemoryUtilizationPercentage" }}
{{- end }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.preStopDelaySeconds) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed preStopDelaySeconds (%v), or SIGKILL arrives before the app can drain" .Values.terminationGracePeriodSeconds .Values.preStopDelaySeconds) }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) }}
{{- fail "ingress.hosts must list at least one host when ingress.enabled=true" }}
{{- end }}
{{- if and .Values.rbac.rules (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) }}
{{- fail "rbac.rules needs a ServiceAccount to bind: set serviceAccount.create=true or serviceAccount.name" }}
{{- end }}
{{- include "taskflow-api.validatePdb" . }}
{{- /* The chart sets these itself; a config entry would silently replace them (sigs.k8s.io/yaml
keeps the last duplicate key): PORT away from the probes' port, REDIS_URL without TLS. */}}
{{- range $name := list "PORT" "REDIS_URL" "REDIS_USERNAME" "REDIS_PASSWORD" "REDIS_TLS_CA_FILE" }}
{{- if hasKey ($.Values.config | default dict) $name }}
{{- fail (printf "config.%s: set by the chart itself and cannot be overridden here" $name) }}
{{- end }}
{{- end }}
{{- /* Extra labels must not replace the chart's own: selectors and the version label use them. */}}
{{- range $key, $labels := dict "commonLabels" .Values.commonLabels "podLabels" .Values.podLabels "deploymentLabels" .Values.deploymentLabels "service.labels" .Values.service.labels }}
{{- if regexMatch "(^| )(app\\.kubernetes\\.io|helm\\.sh)/" (keys ($labels | default dict) | sortAlpha | join " ") }}
{{- fail (printf "%s: keys under app.kubernetes.io/ and helm.sh/ are the chart's own labels and cannot be set here" $key) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A PodDisruptionBudget must leave at least one pod evictable, or node drains and cluster upgrades
hang on it. Kubernetes rounds a minAvailable percentage up, so p% of n pods blocks when
p * n > 100 * (n - 1).
*/}}
{{- define "taskflow-api.validatePdb" -}}
{{- $pdb := .Values.podDisruptionBudget }}
{{- $replicas := int (include "taskflow-api.minPods" .) }}
{{- $min := toString $pdb.minAvailable }}
{{- if and $pdb.enabled (eq $min "") (eq (toString $pdb.maxUnavailable) "") }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable (or enabled=false)" }}
{{- end }}
{{- if and (ne $min "") (ne (toString $pdb.maxUnavailable) "") }}
{{- fail (printf "podDisruptionBudget: set either minAvailable (%v) or maxUnavailable (%v), not both; set the other to \"\"" $pdb.minAvailable $pdb.maxUnavailable) }}
{{- end }}
{{- if and (include "taskflow-api.pdbRendered" .) (hasSuffix "%" $min) (gt (mul (atoi (trimSuffix "%" $min)) $replicas) (mul 100 (sub $replicas 1))) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%s) of %d pods leaves none evictable: node drains would block forever" $min $replicas) }}
{{- end }}
{{- if and (include "taskflow-api.pdbRendered" .) (ne $min "") (not (hasSuffix "%" $min)) (ge (int $min) $replicas) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%s) must be lower than the replica count (%d; autoscaling.minReplicas with the HPA), or node drains block forever" $min $replicas) }}
{{- end }}
{{- end }}
